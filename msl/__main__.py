from msl.cli import main

raise SystemExit(main())
