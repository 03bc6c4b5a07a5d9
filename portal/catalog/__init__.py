"""The Leistungskatalog: services, offices and the OZG taxonomy, imported and shown."""
