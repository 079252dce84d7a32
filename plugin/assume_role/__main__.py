from assume_role.cli import main

raise SystemExit(main())
