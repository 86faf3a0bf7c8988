from c2c.cli import main

raise SystemExit(main())
