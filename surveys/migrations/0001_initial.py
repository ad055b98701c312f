from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from surveys.round_calendar import ScheduleKind
from surveys.schema import Respondent
from surveys.states import Action, ResponseState
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('intranet', '0002_notices')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Form',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('respondent', fields.CharEnumField(default=Respondent.ORGANISATION, description='ORGANISATION: organisation\nPERSON: person', enum_type=Respondent, max_length=16)),
                ('owner', fields.ForeignKeyField('intranet.Organisation', source_field='owner_id', db_index=True, db_constraint=True, to_field='id', related_name='forms', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_form', 'app': 'surveys', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FormVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('form', fields.ForeignKeyField('surveys.Form', source_field='form_id', db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('definition', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('frozen', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_form_version', 'app': 'surveys', 'unique_together': (('form', 'number'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Campaign',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('title', fields.CharField(max_length=200)),
                ('form_version', fields.ForeignKeyField('surveys.FormVersion', source_field='form_version_id', db_index=True, db_constraint=True, to_field='id', related_name='campaigns', on_delete=OnDelete.RESTRICT)),
                ('organiser', fields.ForeignKeyField('intranet.Organisation', source_field='organiser_id', db_index=True, db_constraint=True, to_field='id', related_name='organised_campaigns', on_delete=OnDelete.RESTRICT)),
                ('schedule_kind', fields.CharEnumField(default=ScheduleKind.ONCE, description='ONCE: once\nDAILY: daily\nWEEKLY: weekly\nMONTHLY: monthly', enum_type=ScheduleKind, max_length=16)),
                ('starts_on', fields.DateField()),
                ('opens_on', fields.DateField(null=True)),
                ('due_on', fields.DateField(null=True)),
                ('due_offset_days', fields.IntField(default=0)),
                ('ends_on', fields.DateField(null=True)),
                ('roster_organisations', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('roster_categories', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_by', fields.ForeignKeyField('intranet.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_campaign', 'app': 'surveys', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Round',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('campaign', fields.ForeignKeyField('surveys.Campaign', source_field='campaign_id', db_constraint=True, to_field='id', related_name='rounds', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
                ('opens_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_round', 'app': 'surveys', 'unique_together': (('campaign', 'number'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Response',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('round', fields.ForeignKeyField('surveys.Round', source_field='round_id', db_constraint=True, to_field='id', related_name='responses', on_delete=OnDelete.CASCADE)),
                ('organisation', fields.ForeignKeyField('intranet.Organisation', source_field='organisation_id', null=True, db_constraint=True, to_field='id', related_name='survey_responses', on_delete=OnDelete.RESTRICT)),
                ('user', fields.ForeignKeyField('intranet.User', source_field='user_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='survey_responses', on_delete=OnDelete.RESTRICT)),
                ('state', fields.CharEnumField(default=ResponseState.NOT_STARTED, description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nRETURNED: returned\nRESUBMITTED: resubmitted\nAPPROVED: approved', enum_type=ResponseState, max_length=16)),
                ('version', fields.IntField(default=0)),
                ('answers', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'survey_response', 'app': 'surveys', 'unique_together': (('round', 'organisation'), ('round', 'user')), 'indexes': [Index(fields=['organisation_id', 'state'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AnswerChange',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('response', fields.ForeignKeyField('surveys.Response', source_field='response_id', db_index=True, db_constraint=True, to_field='id', related_name='answer_changes', on_delete=OnDelete.CASCADE)),
                ('question_key', fields.CharField(max_length=40)),
                ('old_value', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('new_value', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('actor', fields.ForeignKeyField('intranet.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_answer_change', 'app': 'surveys', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ResponseEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('response', fields.ForeignKeyField('surveys.Response', source_field='response_id', db_index=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharEnumField(description='SAVE: save\nSUBMIT: submit\nRETURN: return\nAPPROVE: approve\nREOPEN: reopen', enum_type=Action, max_length=16)),
                ('from_state', fields.CharEnumField(description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nRETURNED: returned\nRESUBMITTED: resubmitted\nAPPROVED: approved', enum_type=ResponseState, max_length=16)),
                ('to_state', fields.CharEnumField(description='NOT_STARTED: not_started\nDRAFT: draft\nSUBMITTED: submitted\nRETURNED: returned\nRESUBMITTED: resubmitted\nAPPROVED: approved', enum_type=ResponseState, max_length=16)),
                ('reason', fields.CharField(default='', max_length=500)),
                ('actor', fields.ForeignKeyField('intranet.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_response_event', 'app': 'surveys', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
