#!/usr/bin/env sh
# Prints the path of a working Python 3.10: PATH first, then pyenv's versions.
# A pyenv shim can exist without a usable interpreter behind it, so each
# candidate is run, not just located.
for c in python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  if "$c" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    "$c" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "Python 3.10 not found. Install it (e.g. 'pyenv install 3.10.13' or 'apt-get install python3.10') and run 'make install' again." >&2
exit 1
