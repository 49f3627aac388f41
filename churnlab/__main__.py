from churnlab.cli import main

raise SystemExit(main())
