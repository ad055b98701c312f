from tortoise import migrations
from tortoise.migrations import operations as ops
from surveys.states import Action
from tortoise import fields

class AlterEnumValues(ops.AlterField):
    """Only the enum's list of values changes (the field's description): the column is
    the same varchar(16), so no SQL. SQLite's AlterField would rebuild the table and lose
    its index on response_id."""

    async def database_forward(self, *args, **kwargs):
        return None

    async def database_backward(self, *args, **kwargs):
        return None


class Migration(migrations.Migration):
    dependencies = [('intranet', '0001_initial'), ('intranet', '0002_notices'), ('intranet', '0003_notifications'), ('surveys', '0005_print_and_first_submission')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Response',
            name='unchanged',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        AlterEnumValues(
            model_name='ResponseEvent',
            name='action',
            field=fields.CharEnumField(description='SAVE: save\nSUBMIT: submit\nRETURN: return\nAPPROVE: approve\nREOPEN: reopen\nWITHDRAW: withdraw', enum_type=Action, max_length=16),
        ),
    ]
