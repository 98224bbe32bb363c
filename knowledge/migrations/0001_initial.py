# A stand-in for the knowledge app's first migration (the clinic's FAQ and facts), written on
# another branch: at the merge, that one replaces this file and 0002_reply_texts follows it.
from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = []
