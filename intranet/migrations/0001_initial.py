from tortoise import migrations
from tortoise.migrations import operations as ops
from intranet.models.organisations import OrganisationKind, Role
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Category',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=64)),
                ('sort_order', fields.IntField(default=0)),
            ],
            options={'table': 'category', 'app': 'intranet', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(db_index=True, max_length=64)),
                ('ip', fields.CharField(db_index=True, max_length=64)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'login_failure', 'app': 'intranet', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Organisation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('parent', fields.ForeignKeyField('intranet.Organisation', source_field='parent_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='children', on_delete=OnDelete.RESTRICT)),
                ('path', fields.CharField(default='/', db_index=True, max_length=1000)),
                ('depth', fields.IntField(default=0)),
                ('name', fields.CharField(max_length=100)),
                ('short_name', fields.CharField(default='', max_length=40)),
                ('kind', fields.CharEnumField(default=OrganisationKind.SOCIETY, description='ASSOCIATION: association\nSOCIETY: society\nBRANCH: branch\nMEMBER_UNIT: member_unit\nDEPARTMENT: department', enum_type=OrganisationKind, max_length=16)),
                ('code', fields.CharField(null=True, unique=True, max_length=32)),
                ('contact_name', fields.CharField(default='', max_length=64)),
                ('contact_phone', fields.CharField(default='', max_length=32)),
                ('contact_email', fields.CharField(default='', max_length=254)),
                ('address', fields.CharField(default='', max_length=200)),
                ('is_active', fields.BooleanField(default=True)),
                ('categories', fields.ManyToManyField('intranet.Category', unique=True, db_constraint=True, through='organisation_category', forward_key='category_id', backward_key='organisation_id', related_name='organisations', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'organisation', 'app': 'intranet', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(unique=True, max_length=64)),
                ('display_name', fields.CharField(max_length=64)),
                ('email', fields.CharField(default='', max_length=254)),
                ('phone', fields.CharField(default='', max_length=32)),
                ('title', fields.CharField(default='', max_length=64)),
                ('password_hash', fields.CharField(default='', max_length=255)),
                ('is_active', fields.BooleanField(default=True)),
                ('locale', fields.CharField(default='', max_length=8)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_login_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('password_changed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'user', 'app': 'intranet', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('actor', fields.ForeignKeyField('intranet.User', source_field='actor_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='audit_events', on_delete=OnDelete.SET_NULL)),
                ('actor_name', fields.CharField(default='', max_length=64)),
                ('action', fields.CharField(db_index=True, max_length=64)),
                ('object_type', fields.CharField(default='', db_index=True, max_length=32)),
                ('object_id', fields.CharField(default='', max_length=32)),
                ('organisation', fields.ForeignKeyField('intranet.Organisation', source_field='organisation_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='audit_events', on_delete=OnDelete.SET_NULL)),
                ('summary', fields.CharField(default='', max_length=500)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_event', 'app': 'intranet', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('intranet.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('organisation', fields.ForeignKeyField('intranet.Organisation', source_field='organisation_id', db_index=True, db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='ADMIN: admin\nSTAFF: staff\nSECRETARY: secretary\nMEMBER: member', enum_type=Role, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'membership', 'app': 'intranet', 'unique_together': (('user', 'organisation', 'role'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserSession',
            fields=[
                ('key_hash', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('user', fields.ForeignKeyField('intranet.User', source_field='user_id', db_index=True, db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('ip', fields.CharField(default='', max_length=64)),
                ('user_agent', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'user_session', 'app': 'intranet', 'pk_attr': 'key_hash'},
            bases=['Model'],
        ),
    ]
