from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("conversations", "0005_phi_encrypt_existing_rows"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="conversationsession",
            constraint=models.UniqueConstraint(
                fields=("clinic", "channel", "patient_phone_index"),
                name="one_session_per_patient",
            ),
        ),
    ]
