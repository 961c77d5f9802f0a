/*
 * Declarations of what the generated programs' start file (smos_start.c) uses from sel4runtime,
 * with sel4runtime's names and values for a 64-bit target, so the tests can compile it without an
 * seL4 workspace. Declarations only: nothing here runs.
 */
#pragma once

#define SEL4RUNTIME_NULL ((void *) 0)
