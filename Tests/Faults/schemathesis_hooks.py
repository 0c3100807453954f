"""Schemathesis hooks for the broker's OpenAPI descriptions (loaded through SCHEMATHESIS_HOOKS).

The `subject` format is a USCC or a resident ID number whose check characters, division and birth
date the server verifies: a regular expression gives only the shape, so positive test data come
from identifiers `credit-broker ids check` accepts. The cursors are opaque: the valid ones are a
stream's start.
"""

import schemathesis
from hypothesis import strategies as st

# Each verified with `credit-broker ids check`.
SUBJECTS = [
    "91350100M000100Y43", "91320102MA1XXXXX9N", "91320102MA1AB1238Q", "91320104MA2CD4564X",
    "91320106MA3EF78903", "91350100MA4GH0124E", "92320102MA5JK3457R", "91320111MA6LM67836",
    "93320102MA7NP901X1", "51320102MA8QR234XP",
    "11010519491231002X", "320102198504122319", "32010519900101001X", "440306198811111234",
]

schemathesis.openapi.format("subject", st.sampled_from(SUBJECTS))
schemathesis.openapi.format("changes-cursor", st.sampled_from(["YwAAAAAAAAAA"]))
schemathesis.openapi.format("alerts-cursor", st.sampled_from(["YQAAAAAAAAAA"]))
