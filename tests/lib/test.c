/* test.c: runner for the tiny unit-test harness. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

int test_failures_;
int test_asserts_;
const char *test_name_;

int
test_run_all_(const char *file, void (*const *fns)(void),
	      const char *const *names, size_t n)
{
	int failed_fns = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int before = test_failures_;

		test_name_ = names[i];
		fns[i]();
		if (test_failures_ != before) {
			failed_fns++;
			fprintf(stderr, "  %s: %s FAILED\n", file, names[i]);
		}
	}
	printf("%s: %zu passed, %d failed (%d assertions)\n", file,
	       n - (size_t)failed_fns, failed_fns, test_asserts_);
	return failed_fns == 0 ? 0 : 1;
}
