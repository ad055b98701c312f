from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('intranet', '0003_notifications'), ('surveys', '0003_reminder_settings')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RoundFigures',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('round', fields.ForeignKeyField('surveys.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='figures', on_delete=OnDelete.CASCADE)),
                ('include', fields.CharField(max_length=16)),
                ('stamp', fields.CharField(max_length=200)),
                ('numbers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('figures', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('computed_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'survey_round_figures', 'app': 'surveys', 'unique_together': (('round', 'include'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Response',
            index=Index(fields=['round_id', 'version', 'updated_at', 'id']),
        ),
    ]
