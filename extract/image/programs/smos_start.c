/*
 * Where every generated SMOS program starts (docs/programs.md). The capDL loader starts the
 * thread here, as the spec says: the stack pointer at the top of the program's memory and, in the
 * first argument registers, where the program's ELF headers are mapped, how many there are, and
 * the IPC buffer's address. No System V stack is written for it, so this makes the one sel4runtime
 * reads: no arguments, no environment, and an auxiliary vector with the headers (sel4runtime copies
 * the TLS image they describe and sets the TLS base) and the IPC buffer (libsel4's
 * __sel4_ipc_buffer). sel4runtime then runs main().
 */
#include <sel4/sel4.h>
#include <sel4runtime.h>
#include <sel4runtime/start.h>

#ifdef __x86_64__
/* Entered by a jump, not a call: the stack is 16-byte aligned where a call would leave it 8 off. */
__attribute__((force_align_arg_pointer))
#endif
void smos_start(seL4_Word headers, seL4_Word count, seL4_Word ipc_buffer)
{
    char const *const argv[] = { SEL4RUNTIME_NULL };
    char const *const envp[] = { SEL4RUNTIME_NULL };
    auxv_t const auxv[] = {
        { .a_type = AT_PHDR, .a_un.a_val = headers },
        { .a_type = AT_PHNUM, .a_un.a_val = count },
        { .a_type = AT_PHENT, .a_un.a_val = sizeof(Elf_Phdr) },
        { .a_type = AT_SEL4_IPC_BUFFER_PTR, .a_un.a_val = ipc_buffer },
        { .a_type = AT_NULL, .a_un.a_val = 0 },
    };
    __sel4runtime_start_main(main, 0, argv, envp, auxv);
}

/* The two C library functions libsel4 and sel4runtime call; the programs have no C library. */
char *strcpy(char *dest, const char *src)
{
    char *d = dest;
    while ((*d++ = *src++) != '\0') {
    }
    return dest;
}

/* A libsel4 assertion that fails (a debug build checks its arguments): say so, then fault, which
 * the kernel reports with the thread's name. */
void __assert_fail(const char *assertion, const char *file, int line, const char *function)
{
    (void) line;
    for (const char *const *part = (const char *const[]) { "assertion failed in ", function, " (", file, "): ",
                                                           assertion, "\n", SEL4RUNTIME_NULL }; *part; part++) {
        for (const char *c = *part; *c; c++) {
            seL4_DebugPutChar(*c);
        }
    }
    __builtin_trap();
}
