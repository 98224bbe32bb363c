"""The conversations app's writes that touch several models (keyword-only, `<entity>_<action>`),
one module per subject:

- clinics: importing a clinic file (`clinic_import`);
- storage: stage B, journaled messages stored in the database (`journals_store`);
- control: staff taking a conversation over and giving it back (`conversation_set_control`);
- staff_messages: staff writing to a patient from the admin (`staff_message_send`).
"""
