from bot.cli import main

# Guarded: worker processes (bot/workers.py, "spawn") import the main module again.
if __name__ == "__main__":
    raise SystemExit(main())
