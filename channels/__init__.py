"""The channel layer: how WhatsApp messages reach clinicbot and how its replies leave.

A channel is one way of talking to WhatsApp (today Evolution API; Meta's Cloud API next). Each
lives in a folder of its own (`channels/evolution/`: its webhook parser, its credential check,
its sender, its tests and its payload corpus) and is one row of `channels.registry.CHANNELS`,
chosen per clinic by `Clinic.channel_kind`. The rest of clinicbot speaks only the vocabulary of
`channels.base`: an `InboundMessage` in, a `SendResult` out.
"""
