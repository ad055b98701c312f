from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('intranet', '0004_forwarded_search_text')]

    initial = False

    operations = [
        ops.AddField(
            model_name='UserSession',
            name='remembered',
            field=fields.BooleanField(default=False),
        ),
    ]
