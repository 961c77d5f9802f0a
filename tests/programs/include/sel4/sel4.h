/*
 * Declarations of the libsel4 calls the generated programs use, with libsel4's signatures for
 * a 64-bit non-MCS kernel, so the tests can compile the programs (gcc -fsyntax-only) without
 * an seL4 workspace. Declarations only: nothing here runs.
 */
#pragma once

typedef unsigned long seL4_Word;
typedef seL4_Word seL4_CPtr;
typedef struct seL4_MessageInfo { seL4_Word words[1]; } seL4_MessageInfo_t;

seL4_MessageInfo_t seL4_MessageInfo_new(seL4_Word label, seL4_Word capsUnwrapped, seL4_Word extraCaps, seL4_Word length);
seL4_Word seL4_MessageInfo_get_label(seL4_MessageInfo_t info);
seL4_Word seL4_GetMR(int i);
void seL4_SetMR(int i, seL4_Word mr);
seL4_MessageInfo_t seL4_Call(seL4_CPtr dest, seL4_MessageInfo_t msgInfo);
seL4_MessageInfo_t seL4_Recv(seL4_CPtr src, seL4_Word *sender);
seL4_MessageInfo_t seL4_ReplyRecv(seL4_CPtr dest, seL4_MessageInfo_t msgInfo, seL4_Word *sender);
void seL4_Yield(void);
void seL4_DebugPutChar(char c);
