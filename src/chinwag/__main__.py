from chinwag.cli import main

main()
