from msl.cli import main

if __name__ == "__main__":  # not when worker processes (Dask local:N) import it
    raise SystemExit(main())
