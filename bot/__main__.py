# Guarded, and the CLI imported only under the guard: worker processes (bot/runtime/workers.py,
# "spawn") import the main module again, and should not load the whole bot to do so.
if __name__ == "__main__":
    from bot.process.cli import main

    raise SystemExit(main())
