/*
 * smosverify read-back, #included at the end of a build-folder copy of the capDL loader's
 * main.c (so it sees the loader's static tables of original and duplicate caps). Called just
 * before the loader suspends, it asks the kernel what it really holds:
 *   - the scheduler dump (thread names and TCB addresses),
 *   - the kernel's capDL-format snapshot (seL4_DebugSnapshot),
 *   - a walk over every object and every CNode slot the spec declares, each cap identified
 *     by the kernel (seL4_DebugCapIdentify on a temporary copy), for what the snapshot
 *     cannot show: nested CNodes, objects no thread reaches, names.
 * Every walk line starts with "smosverify: " and is parsed by smosverify/image/readback.py.
 */
#include "smosverify_cap_names.h"

#define SMOSVERIFY_NUM_CAP_NAMES (sizeof(smosverify_cap_names) / sizeof(smosverify_cap_names[0]))

static const char *smosverify_cap_name(seL4_Word type)
{
    if (type < SMOSVERIFY_NUM_CAP_NAMES && smosverify_cap_names[type] != NULL) {
        return smosverify_cap_names[type];
    }
    return "unknown";
}

/* Print " paddr=0x..." for a frame cap in the loader's own CSpace, nothing for other caps. */
static void smosverify_print_paddr(seL4_CPtr cap, seL4_Word type)
{
    if (strcmp(smosverify_cap_name(type), "frame") != 0) {
        return;
    }
    seL4_ARCH_Page_GetAddress_t addr = seL4_ARCH_Page_GetAddress(cap);
    if (addr.error == seL4_NoError) {
        printf(" paddr=0x%" PRIxPTR, (uintptr_t)addr.paddr);
    }
}

/* Copy `index` of a CNode (depth `bits`) into the loader's scratch slot. */
static seL4_Error smosverify_copy_out(seL4_CPtr cnode, seL4_Word index, seL4_Word bits, seL4_CPtr scratch)
{
    return seL4_CNode_Copy(seL4_CapInitThreadCNode, scratch, CONFIG_WORD_SIZE,
                           cnode, index, bits, seL4_AllRights);
}

/* The radix the kernel gave the CNode: the only depth at which slot 0 resolves. */
static seL4_Word smosverify_cnode_bits(seL4_CPtr cnode, seL4_Word expected, seL4_CPtr scratch)
{
    for (seL4_Word i = 0; i < CONFIG_WORD_SIZE; i++) {
        seL4_Word bits = i == 0 ? expected : i;
        if (bits == 0) {
            continue;
        }
        seL4_Error err = smosverify_copy_out(cnode, 0, bits, scratch);
        if (err == seL4_NoError) {
            seL4_CNode_Delete(seL4_CapInitThreadCNode, scratch, CONFIG_WORD_SIZE);
            return bits;
        }
        /* MR1 holds the lookup failure type; anything but a depth mismatch means it resolved. */
        if (err != seL4_FailedLookup || seL4_GetMR(1) != seL4_DepthMismatch) {
            return bits;
        }
    }
    return 0;
}

static void smosverify_walk_cnode(CDL_Model *spec, CDL_ObjID id, seL4_CPtr scratch)
{
    CDL_Object *obj = &spec->objects[id];
    seL4_CPtr cnode = dup_caps(id);
    seL4_Word bits = smosverify_cnode_bits(cnode, CDL_Obj_SizeBits(obj), scratch);
    printf("smosverify: cnode %s bits=%lu\n", CDL_Obj_Name(obj), (unsigned long)bits);
    if (bits == 0) {
        return;
    }
    for (seL4_Word slot = 0; slot < BIT(bits); slot++) {
        seL4_Error err = smosverify_copy_out(cnode, slot, bits, scratch);
        if (err == seL4_FailedLookup) {
            continue; /* empty */
        }
        if (err != seL4_NoError) {
            /* a cap is there but the kernel will not copy it (e.g. a reply cap) */
            printf("smosverify: slot %s 0x%lx uncopyable error=%d\n", CDL_Obj_Name(obj), (unsigned long)slot, (int)err);
            continue;
        }
        seL4_Word type = seL4_DebugCapIdentify(scratch);
        printf("smosverify: slot %s 0x%lx %s", CDL_Obj_Name(obj), (unsigned long)slot, smosverify_cap_name(type));
        smosverify_print_paddr(scratch, type);
        printf("\n");
        seL4_CNode_Delete(seL4_CapInitThreadCNode, scratch, CONFIG_WORD_SIZE);
    }
}

static void smosverify_walk(CDL_Model *spec)
{
    seL4_CPtr scratch = get_free_slot();
    printf("smosverify: walk begin objects=%lu\n", (unsigned long)spec->num);
    for (CDL_ObjID id = 0; id < spec->num; id++) {
        CDL_Object *obj = &spec->objects[id];
        if (!requires_creation(CDL_Obj_Type(obj))) {
            continue;
        }
        seL4_CPtr orig = orig_caps(id);
        seL4_Word type = seL4_DebugCapIdentify(orig);
        printf("smosverify: object %s %s", CDL_Obj_Name(obj), smosverify_cap_name(type));
        smosverify_print_paddr(orig, type);
        printf("\n");
    }
    for (CDL_ObjID id = 0; id < spec->num; id++) {
        if (CDL_Obj_Type(&spec->objects[id]) == CDL_CNode) {
            smosverify_walk_cnode(spec, id, scratch);
        }
    }
    printf("smosverify: walk end\n");
}

static void smosverify_readback(CDL_Model *spec)
{
    printf("smosverify: readback begin\n");
    printf("smosverify: scheduler begin\n");
    seL4_DebugDumpScheduler();
    printf("smosverify: scheduler end\n");
    printf("smosverify: snapshot begin\n");
    seL4_DebugSnapshot();
    printf("smosverify: snapshot end\n");
    smosverify_walk(spec);
    printf("smosverify: readback end\n");
}
