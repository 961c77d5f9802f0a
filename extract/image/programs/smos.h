/*
 * The wire format shared by smosverify's generated SMOS programs (docs/programs.md).
 *
 * A client calls an object server:    label SMOS_OBJ_CALL, MR0 object, MR1 operation,
 *                                     MR2 client number, MR3 sequence number (the call's tag);
 * the server asks the policy server:  label SMOS_AUTH, MR0 subject sid, MR1 object sid,
 *                                     MR2 class, MR3 operation, MR4 and MR5 the client's tag;
 * the policy server answers:          MR0 decision;
 * the server answers the client:      MR0 decision, MR1 outcome;
 * a client that has run its script:   label SMOS_DONE, never answered (it waits for ever).
 * The tag only lets smosverify pair log lines; no decision depends on it. Who is calling is
 * the badge the kernel delivers, never anything in the message.
 */
#pragma once

#include <sel4/sel4.h>

enum { SMOS_OBJ_CALL = 1, SMOS_AUTH = 2, SMOS_DONE = 3 };
enum { SMOS_DENY = 0, SMOS_PERMIT = 1 };
enum { SMOS_OK = 0, SMOS_DENIED = 1, SMOS_ERROR = 2 };

#define SMOS_UNKNOWN ((seL4_Word) -1)

static const char *const smos_decision_names[] = { "deny", "permit" };
static const char *const smos_outcome_names[] = { "ok", "denied", "error" };

/* The debug kernel's console, one character at a time: no libc, nothing else to trust. */
static inline void smos_print(const char *text)
{
    for (; *text; text++) {
        seL4_DebugPutChar(*text);
    }
}

static inline void smos_print_word(seL4_Word n)
{
    char digits[21];
    int i = 20;
    digits[i] = '\0';
    do {
        digits[--i] = (char) ('0' + n % 10);
        n /= 10;
    } while (n != 0);
    smos_print(&digits[i]);
}

/* " key=value", the unit every log line is made of. */
static inline void smos_field(const char *key, const char *value)
{
    smos_print(" ");
    smos_print(key);
    smos_print("=");
    smos_print(value);
}

static inline void smos_tag(seL4_Word client, seL4_Word sequence)
{
    smos_print(" tag=");
    smos_print_word(client);
    smos_print(".");
    smos_print_word(sequence);
}

static inline const char *smos_name(const char *const *names, seL4_Word count, seL4_Word index)
{
    return index < count ? names[index] : "?";
}
