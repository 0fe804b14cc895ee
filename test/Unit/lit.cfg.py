# -*- Python -*-
# The gtest unit tests, one lit test per test case (run lit with
# --no-gtest-sharding), so that `make test` counts them with the rest.
import os

import lit.formats

config.name = "Sieve-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.sieve_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
