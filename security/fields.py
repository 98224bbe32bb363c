"""`EncryptedTextField`: a TextField whose column holds `security.crypto` tokens.

Values are encrypted on the way to the database and decrypted on the way back, bound to the
model's table and the field's column. Consequences worth knowing:
- Lookups cannot see plaintext: `filter(text="hi")` encrypts "hi" with a fresh nonce and matches
  nothing. Find rows by a blind index (`security.blind_index`) or by other columns.
- The empty string and NULL are stored as they are (an empty value is not PHI, and forms use it).
- A value read from the database that is not a token is legacy plaintext from before the field
  was encrypted; it is returned as is, and the next save (or `rotate_phi_key`) encrypts it.
"""

from django.db import models

from security.crypto import decrypt, encrypt, is_encrypted


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest (AES-256-GCM, bound to its table and column)"

    @property
    def aad_table(self) -> str:
        return self.model._meta.db_table

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        # Always encrypt, even a value that looks like a token: a patient may type anything.
        return encrypt(value, table=self.aad_table, column=self.column)

    def from_db_value(self, value, expression, connection):
        if is_encrypted(value):
            return decrypt(value, table=self.aad_table, column=self.column)
        return value
