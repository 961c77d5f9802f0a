/* sel4runtime's program entry and auxiliary vector, declared for the tests (see ../sel4runtime.h). */
#pragma once

enum { AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_SEL4_IPC_BUFFER_PTR = 67 };

typedef struct {
    long a_type;
    union {
        long a_val;
        void *a_ptr;
    } a_un;
} auxv_t;

typedef struct { unsigned char bytes[56]; } Elf_Phdr;

int main();

void __sel4runtime_start_main(int (*main)(), unsigned long argc, char const *const *argv, char const *const *envp,
                              auxv_t const auxv[]);
