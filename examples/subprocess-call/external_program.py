# The external program the seed's subprocess.call example starts. It is a
# separate process with its own interpreter; its output goes straight to the
# terminal the caller shares with it.
import os
import sys

print(f"Hello from the external program (Python {sys.version_info.major}.{sys.version_info.minor})!")
print("args:", sys.argv[1:])
sys.exit(int(os.environ.get("EXIT_CODE", "0")))
