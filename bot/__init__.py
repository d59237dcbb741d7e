"""The chat application: config, transports, access gate, i18n, rendering, understanding."""
