from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from intranet.notices.models import AddresseeRole, AddresseeTarget, AudienceScope, BodyFormat, NoticeCategory, NoticeState
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('intranet', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DocumentPrefix',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('intranet.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='document_prefixes', on_delete=OnDelete.CASCADE)),
                ('text', fields.CharField(max_length=20)),
                ('is_default', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'document_prefix', 'app': 'intranet', 'unique_together': (('organisation', 'text'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('issuer', fields.ForeignKeyField('intranet.Organisation', source_field='issuer_id', db_index=True, db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.RESTRICT)),
                ('author', fields.ForeignKeyField('intranet.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.SET_NULL)),
                ('prefix', fields.ForeignKeyField('intranet.DocumentPrefix', source_field='prefix_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.SET_NULL)),
                ('document_number', fields.CharField(null=True, max_length=64)),
                ('number_key', fields.CharField(null=True, max_length=100)),
                ('title', fields.CharField(max_length=200)),
                ('addressee_line', fields.CharField(default='', max_length=1000)),
                ('cc_line', fields.CharField(default='', max_length=1000)),
                ('body_format', fields.CharEnumField(default=BodyFormat.MARKDOWN, description='MARKDOWN: markdown\nHTML: html', enum_type=BodyFormat, max_length=16)),
                ('body_source', fields.TextField(default='', unique=False)),
                ('body_html', fields.TextField(default='', unique=False)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('signature', fields.CharField(default='', max_length=100)),
                ('issued_on', fields.DateField(null=True)),
                ('year', fields.IntField(null=True, db_index=True)),
                ('category', fields.CharEnumField(default=NoticeCategory.NOTICE, db_index=True, description='NOTICE: notice\nANNOUNCEMENT: announcement\nNEWS: news', enum_type=NoticeCategory, max_length=16)),
                ('pinned', fields.BooleanField(default=False)),
                ('is_public', fields.BooleanField(default=False)),
                ('state', fields.CharEnumField(default=NoticeState.DRAFT, description='DRAFT: draft\nPUBLISHED: published\nWITHDRAWN: withdrawn', enum_type=NoticeState, max_length=16)),
                ('version', fields.IntField(default=1)),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('withdrawn_reason', fields.CharField(default='', max_length=500)),
                ('forwarded_from', fields.ForeignKeyField('intranet.Notice', source_field='forwarded_from_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='forwards', on_delete=OnDelete.SET_NULL)),
                ('forwarded_snapshot', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notice', 'app': 'intranet', 'unique_together': (('issuer', 'number_key'),), 'indexes': [Index(fields=['state', 'pinned', 'published_at', 'id', 'is_public']), Index(fields=['is_public', 'state', 'published_at']), Index(fields=['state', 'is_public', 'issuer_id', 'year', 'category'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeAddressee',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('intranet.Notice', source_field='notice_id', db_index=True, db_constraint=True, to_field='id', related_name='addressees', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(default=AddresseeRole.TO, description='TO: to\nCC: cc', enum_type=AddresseeRole, max_length=8)),
                ('target', fields.CharEnumField(description='ORGANISATION: organisation\nCATEGORY: category\nALL_SOCIETIES: all_societies\nMEMBERS_OF: members_of', enum_type=AddresseeTarget, max_length=16)),
                ('organisation', fields.ForeignKeyField('intranet.Organisation', source_field='organisation_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('category', fields.ForeignKeyField('intranet.Category', source_field='category_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'notice_addressee', 'app': 'intranet', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeAttachment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('intranet.Notice', source_field='notice_id', db_index=True, db_constraint=True, to_field='id', related_name='attachments', on_delete=OnDelete.CASCADE)),
                ('storage_key', fields.CharField(max_length=64)),
                ('filename', fields.CharField(max_length=200)),
                ('kind', fields.CharField(max_length=8)),
                ('size', fields.BigIntField()),
                ('sha256', fields.CharField(max_length=64)),
                ('position', fields.IntField(default=0)),
                ('from_forwarded', fields.BooleanField(default=False)),
                ('uploaded_by', fields.ForeignKeyField('intranet.User', source_field='uploaded_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notice_attachment', 'app': 'intranet', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeAudience',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('intranet.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='audience', on_delete=OnDelete.CASCADE)),
                ('organisation', fields.ForeignKeyField('intranet.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('scope', fields.CharEnumField(description='UNIT: unit\nEVERYONE: everyone', enum_type=AudienceScope, max_length=8)),
                ('role', fields.CharEnumField(default=AddresseeRole.TO, description='TO: to\nCC: cc', enum_type=AddresseeRole, max_length=8)),
            ],
            options={'table': 'notice_audience', 'app': 'intranet', 'unique_together': (('notice', 'organisation'),), 'indexes': [Index(fields=['organisation_id', 'scope', 'notice_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeRead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('intranet.Notice', source_field='notice_id', db_constraint=True, to_field='id', related_name='reads', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('intranet.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notice_reads', on_delete=OnDelete.CASCADE)),
                ('read_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notice_read', 'app': 'intranet', 'unique_together': (('notice', 'user'),), 'indexes': [Index(fields=['user_id', 'notice_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeReminder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('intranet.Notice', source_field='notice_id', db_index=True, db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('intranet.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='notice_reminders', on_delete=OnDelete.CASCADE)),
                ('sent_by', fields.ForeignKeyField('intranet.User', source_field='sent_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notice_reminder', 'app': 'intranet', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NoticeVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('notice', fields.ForeignKeyField('intranet.Notice', source_field='notice_id', db_index=True, db_constraint=True, to_field='id', related_name='versions', on_delete=OnDelete.CASCADE)),
                ('version', fields.IntField()),
                ('document_number', fields.CharField(null=True, max_length=64)),
                ('title', fields.CharField(max_length=200)),
                ('addressee_line', fields.CharField(default='', max_length=1000)),
                ('cc_line', fields.CharField(default='', max_length=1000)),
                ('body_html', fields.TextField(default='', unique=False)),
                ('signature', fields.CharField(default='', max_length=100)),
                ('issued_on', fields.DateField(null=True)),
                ('attachment_names', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('edited_by', fields.ForeignKeyField('intranet.User', source_field='edited_by_id', null=True, db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.SET_NULL)),
                ('replaced_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notice_version', 'app': 'intranet', 'unique_together': (('notice', 'version'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NumberSequence',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('prefix', fields.ForeignKeyField('intranet.DocumentPrefix', source_field='prefix_id', db_constraint=True, to_field='id', related_name='sequences', on_delete=OnDelete.CASCADE)),
                ('year', fields.IntField()),
                ('last_number', fields.IntField(default=0)),
            ],
            options={'table': 'number_sequence', 'app': 'intranet', 'unique_together': (('prefix', 'year'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
