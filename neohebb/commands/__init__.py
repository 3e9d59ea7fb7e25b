"""One module per ``neohebb`` subcommand: ``add_args(parser)`` and ``handle(args)``."""
