"""Staff notifications: who at a clinic is told, and how, when a conversation needs a person (a
hand-off, an urgent case, a cancel request, a declined reminder, a reply the gateway refused, the
clinic's WhatsApp number disconnected). Rows are created by the apps above (stage B, the booking
lane, the connection events) and sent by Celery, never on the webhook's path."""
