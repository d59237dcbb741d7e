"""The CRM core: models, unit of work and services. Free of Telegram."""
