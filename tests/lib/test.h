/* test.h: a tiny unit-test harness; each tests/unit/test_*.c is one binary. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_TEST_H
#define BUZON_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int test_failures_;
extern int test_asserts_;
extern const char *test_name_;
int test_run_all_(const char *file, void (*const *fns)(void),
		  const char *const *names, size_t n);

/* Name the current test case (printed on failure). */
#define test_begin(name) (test_name_ = (name))
#define test_end() ((void)0)

#define TEST_FAIL_(fmt, ...)                                                   \
	do {                                                                   \
		test_failures_++;                                              \
		fprintf(stderr, "FAIL %s:%d [%s]: " fmt "\n", __FILE__,        \
			__LINE__, test_name_ ? test_name_ : "?", __VA_ARGS__); \
	} while (0)

#define TEST_ASSERT(cond)                                                      \
	do {                                                                   \
		test_asserts_++;                                               \
		if (!(cond))                                                   \
			TEST_FAIL_("%s", #cond);                               \
	} while (0)

#define TEST_ASSERT_INTEQ(a, b)                                                \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		test_asserts_++;                                               \
		if (a_ != b_)                                                  \
			TEST_FAIL_("%s == %s (%lld != %lld)", #a, #b, a_, b_); \
	} while (0)

#define TEST_ASSERT_STREQ(a, b)                                                \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		test_asserts_++;                                               \
		if (a_ == NULL || b_ == NULL ? a_ != b_ : strcmp(a_, b_) != 0) \
			TEST_FAIL_("%s == %s (\"%s\" != \"%s\")", #a, #b,      \
				   a_ ? a_ : "(null)", b_ ? b_ : "(null)");    \
	} while (0)

#define TEST_ASSERT_MEMEQ(a, alen, b, blen)                                    \
	do {                                                                   \
		size_t al_ = (alen), bl_ = (blen);                             \
		test_asserts_++;                                               \
		if (al_ != bl_ || memcmp((a), (b), al_) != 0)                  \
			TEST_FAIL_("%s == %s (%zu vs %zu bytes)", #a, #b, al_, \
				   bl_);                                       \
	} while (0)

/* TEST_MAIN(test_a, test_b, ...) defines main() running each function. */
#define TEST_STR_(x) #x
#define TEST_MAIN(...)                                                         \
	int main(void)                                                         \
	{                                                                      \
		static void (*const fns[])(void) = {__VA_ARGS__};              \
		static const char names[] = #__VA_ARGS__;                      \
		const char *nv[sizeof(fns) / sizeof(fns[0])];                  \
		static char copy[sizeof(names)];                               \
		char *p = copy, *save;                                         \
		size_t i = 0;                                                  \
		memcpy(copy, names, sizeof(names));                            \
		for (p = strtok_r(copy, ", \t\n", &save);                      \
		     p && i < sizeof(fns) / sizeof(fns[0]);                    \
		     p = strtok_r(NULL, ", \t\n", &save))                      \
			nv[i++] = p;                                           \
		return test_run_all_(__FILE__, fns, nv, i);                    \
	}

/* Deterministic pseudo-random numbers for split tests (xorshift). */
static inline uint32_t
test_rand(uint32_t *state)
{
	uint32_t x = *state ? *state : 2463534242u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

#endif
