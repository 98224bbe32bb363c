"""What a clinic knows and says in its own words: its FAQ, its facts (payment, insurance, parking,
children), and its overrides of the bot's fixed reply texts. The fast lane reads them from memory,
beside the price list (pricing.cache)."""
