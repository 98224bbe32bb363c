from django.db import models  # noqa: F401

# --- the clinic's FAQ and facts -------------------------------------------------------------------

# --- the clinic's own reply texts -----------------------------------------------------------------
