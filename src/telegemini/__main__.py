from telegemini.cli import main

raise SystemExit(main())
