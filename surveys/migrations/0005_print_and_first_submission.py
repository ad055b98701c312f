from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('surveys', '0004_round_figures')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Campaign',
            name='stamp_block',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='Response',
            name='first_submitted_at',
            field=fields.DatetimeField(null=True),
        ),
        # Reports submitted before: their first submission is their first submit event,
        # or, without one, their last submission.
        ops.RunSQL(
            "UPDATE survey_response SET first_submitted_at = COALESCE("
            "(SELECT MIN(e.created_at) FROM survey_response_event e"
            " WHERE e.response_id = survey_response.id AND e.action = 'submit'),"
            " submitted_at) WHERE submitted_at IS NOT NULL",
            reverse_sql="",
        ),
    ]
