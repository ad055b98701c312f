from intranet.cli import main

main()
