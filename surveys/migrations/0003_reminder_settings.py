from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('intranet', '0001_initial'), ('intranet', '0002_notices'), ('surveys', '0002_round_reminders')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Campaign',
            name='overdue_every_days',
            field=fields.IntField(default=2),
        ),
        ops.AddField(
            model_name='Campaign',
            name='remind_days_before',
            field=fields.IntField(default=2),
        ),
        ops.AddField(
            model_name='RoundReminder',
            name='key',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='RoundReminder',
            name='kind',
            field=fields.CharField(default='round.reminder', max_length=40),
        ),
        ops.AddField(
            model_name='RoundReminder',
            name='recipients',
            field=fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddConstraint(
            model_name='RoundReminder',
            constraint=UniqueConstraint(fields=('organisation', 'key'), name=None),
        ),
    ]
