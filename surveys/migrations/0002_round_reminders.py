from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('intranet', '0001_initial'), ('intranet', '0002_notices'), ('surveys', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RoundReminder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('round', fields.ForeignKeyField('surveys.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('organisation', fields.ForeignKeyField('intranet.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='survey_reminders', on_delete=OnDelete.CASCADE)),
                ('sent_by', fields.ForeignKeyField('intranet.User', source_field='sent_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('channel', fields.CharField(default='in_app', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_round_reminder', 'app': 'surveys', 'indexes': [Index(fields=['organisation_id', 'created_at']), Index(fields=['round_id', 'organisation_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
