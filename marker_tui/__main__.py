from marker_tui.interfaces.cli.main import main

main()
