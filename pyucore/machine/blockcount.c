/* The unicorn backend's instruction counter: a native UC_HOOK_BLOCK callback.
 *
 * unicorn's own count (emu_start's count argument) calls a hook at every instruction, which makes
 * QEMU's code about 5 times slower. This hook runs once per translated block instead and adds the
 * block's instruction count, read from the code itself: QEMU gives the block's address and size in
 * bytes, and a RISC-V instruction is 4 bytes when its low two bits are 11, else 2 (RVC). A block that
 * would take the count past the limit is not entered: the run stops before it (QEMU checks for a stop
 * request at the start of every block, after this hook), so the caller can run exactly the
 * instructions left. Built by pyucore.machine.native with zig's clang; no C library.
 */
#include <stdint.h>

struct block_counter {
    uint64_t retired;     /* instructions of the blocks entered since the caller reset it */
    uint64_t limit;       /* a block that would take retired past limit is not entered */
    uint64_t last_pc;     /* the block entered last: its address, instruction count and end */
    uint64_t last_insns;
    uint64_t last_end;
    uint64_t stopped;     /* 1: stopped before the block at the pc (tail_end set); 2: its code could not be read */
    uint64_t tail_end;    /* when stopped = 1: the end of the first limit - retired instructions of that block */
    uint64_t tail_atomic; /* ... 1 if one of them is an atomic (LR, SC, AMO), else 0; and the block's size */
    uint64_t tail_size;
    uint64_t tail_pa;     /* ... and the physical address of its start */
    uint64_t ram;         /* host address of the guest RAM, its guest physical base and size */
    uint64_t ram_base;
    uint64_t ram_size;
    uint64_t root;        /* physical address of the root page table (Sv39), or 0 for bare addressing */
    uint64_t cached_page; /* one-entry translation cache: a virtual page number and its host address; */
    uint64_t cached_host; /* cached_page = ~0 empties it (the caller does, whenever the tables may change) */
    uint64_t emu_stop;    /* address of unicorn's uc_emu_stop */
    uint64_t memos;       /* address of MEMO_SLOTS struct memo, zeroed: blocks counted before */
};

#define MEMO_WORDS 32
#define MEMO_SLOTS 1024
/* A block counted before: its address, size, code (zero past its size) and count. */
struct memo {
    uint64_t address, size, n;
    uint64_t code[MEMO_WORDS];
};

/* Host address of the 8-byte-aligned guest physical address pa in RAM, or 0 outside it. */
static const uint8_t *host(const struct block_counter *c, uint64_t pa, uint64_t size) {
    if (pa < c->ram_base || pa - c->ram_base > c->ram_size - size) {
        return 0;
    }
    return (const uint8_t *)(uintptr_t)(c->ram + (pa - c->ram_base));
}

/* Host address of the page holding virtual address va under the Sv39 tables at c->root (the tables
 * QEMU has just fetched the block through), or 0 if they do not map it. */
static const uint8_t *page_host(struct block_counter *c, uint64_t va) {
    uint64_t page = va >> 12;
    if (page == c->cached_page) {
        return (const uint8_t *)(uintptr_t)c->cached_host;
    }
    uint64_t pa = va & ~(uint64_t)0xfff;
    if (c->root) {
        uint64_t table = c->root;
        int level;
        for (level = 2; level >= 0; level--) {
            const uint8_t *entry = host(c, table + ((va >> (12 + 9 * level)) & 0x1ff) * 8, 8);
            if (!entry) {
                return 0;
            }
            uint64_t pte = *(const uint64_t *)entry;
            if (!(pte & 1)) {
                return 0;
            }
            uint64_t base = (pte >> 10) << 12;
            if (pte & 0xa) {  /* R or X: a leaf, maybe a superpage */
                uint64_t span = (uint64_t)1 << (12 + 9 * level);
                pa = base + (va & (span - 1) & ~(uint64_t)0xfff);
                break;
            }
            table = base;
        }
        if (level < 0) {
            return 0;
        }
    }
    const uint8_t *h = host(c, pa, 4096);
    if (h) {
        c->cached_page = page;
        c->cached_host = (uint64_t)(uintptr_t)h;
    }
    return h;
}

/* The instructions starting in [start, end), at most max of them; *stop = the address after the last
 * one counted. Returns ~0 if the code cannot be read. */
static uint64_t count(struct block_counter *c, uint64_t start, uint64_t end, uint64_t max, uint64_t *stop) {
    uint64_t n = 0, va = start;
    while (va < end && n < max) {
        const uint8_t *page = page_host(c, va);
        if (!page) {
            return ~(uint64_t)0;
        }
        uint16_t half = *(const uint16_t *)(page + (va & 0xfff));
        va += (half & 3) == 3 ? 4 : 2;
        n++;
    }
    *stop = va;
    return n;
}

/* 1 if an instruction starting in [start, end) is an atomic (major opcode AMO, 32 bits), else 0. */
static uint64_t has_atomic(struct block_counter *c, uint64_t start, uint64_t end) {
    for (uint64_t va = start; va < end;) {
        const uint8_t *page = page_host(c, va);
        uint16_t half = page ? *(const uint16_t *)(page + (va & 0xfff)) : 0;
        if ((half & 0x7f) == 0x2f) {
            return 1;
        }
        va += (half & 3) == 3 ? 4 : 2;
    }
    return 0;
}

/* starts[s << 8 | m], for 8 halfwords where bit i of m says "halfword i has low bits 11" and s = 1 if
 * the first of them starts an instruction: bit i says whether halfword i starts one (bits 0-7), and bit
 * 8 whether the halfword after them does. A halfword after a start with low bits 11 is the second half
 * of that instruction; any other halfword starts one. ones[m]: the bits set in m. */
static uint16_t starts[512];
static uint8_t ones[256];

/* Fills the tables; called once before any block is counted. */
void make_tables(void) {
    for (unsigned i = 0; i < 512; i++) {
        unsigned start = i >> 8, mask = 0;
        for (unsigned h = 0; h < 8; h++) {
            mask |= start << h;
            start = !(start && (i >> h & 1));
        }
        starts[i] = (uint16_t)(mask | start << 8);
    }
    for (unsigned m = 0; m < 256; m++) {
        ones[m] = (uint8_t)(m ? (m & 1) + ones[m >> 1] : 0);
    }
}

/* Bit i set iff halfword i of the 16 bytes at p has low bits 11. */
static unsigned long_bits(const uint8_t *p) {
    uint64_t lo, hi;
    __builtin_memcpy(&lo, p, 8);
    __builtin_memcpy(&hi, p + 8, 8);
    lo &= (lo >> 1) & 0x0001000100010001u;
    hi &= (hi >> 1) & 0x0001000100010001u;
    return (unsigned)((lo | lo >> 15 | lo >> 30 | lo >> 45) & 0xf)
         | (unsigned)((hi | hi >> 15 | hi >> 30 | hi >> 45) & 0xf) << 4;
}

/* The instructions starting in [start, start + size), which is a whole number of instructions;
 * ~0 if the code cannot be read. Eight halfwords at a time (reading up to 14 bytes past the block, but
 * never past its page): the low bits of each decide the length. */
static uint64_t count_block(struct block_counter *c, uint64_t start, uint64_t size) {
    uint64_t n = 0, va = start, end = start + size;
    unsigned first = 1;  /* whether the halfword at va starts an instruction */
    while (va < end) {
        const uint8_t *page = page_host(c, va);
        if (!page) {
            return ~(uint64_t)0;
        }
        uint64_t page_end = (va | 0xfff) + 1, stop = end < page_end ? end : page_end;
        const uint8_t *p = page + (va & 0xfff);
        for (; va < stop && va + 16 <= page_end; va += 16, p += 16) {
            unsigned step = starts[first << 8 | long_bits(p)];
            uint64_t left = (stop - va) >> 1;
            n += ones[step & (left < 8 ? (1u << left) - 1 : 0xff)];
            first = step >> 8;
        }
        for (; va < stop; va += 2, p += 2) {
            n += first;
            first = !(first && (*(const uint16_t *)p & 3) == 3);
        }
    }
    return n;
}

/* count_block through the memo (the caller's MEMO_SLOTS entries): a block of at most MEMO_WORDS
 * words that ends 8 bytes or more before its page does (so whole words can be read past it) is compared
 * with the code its slot keeps, and the slot's count is used only when the code is the same byte for
 * byte (the count is a function of the code alone). */
static uint64_t count_memo(struct block_counter *c, uint64_t address, uint64_t size) {
    uint64_t words = (size + 7) >> 3;
    if (words > MEMO_WORDS || (address & 0xfff) + (words << 3) > 0x1000) {
        return count_block(c, address, size);
    }
    const uint8_t *page = page_host(c, address);
    if (!page) {
        return ~(uint64_t)0;
    }
    const uint8_t *p = page + (address & 0xfff);
    struct memo *m = (struct memo *)(uintptr_t)c->memos + ((address >> 1 ^ address >> 11) & (MEMO_SLOTS - 1));
    uint64_t last = size & 7 ? ((uint64_t)1 << 8 * (size & 7)) - 1 : ~(uint64_t)0;
    uint64_t diff = (m->address ^ address) | (m->size ^ size);
    /* the slot takes this code whether it matches or not: one pass reads, compares and keeps it */
    for (uint64_t i = 0; i < words; i++) {
        uint64_t word;
        __builtin_memcpy(&word, p + 8 * i, 8);
        word &= i == words - 1 ? last : ~(uint64_t)0;
        diff |= word ^ m->code[i];
        m->code[i] = word;
    }
    if (diff) {
        m->address = address;
        m->size = size;
        m->n = count_block(c, address, size);
    }
    return m->n;
}

/* UC_HOOK_BLOCK callback (user data: the struct block_counter). */
void on_block(void *uc, uint64_t address, uint32_t size, void *user_data) {
    struct block_counter *c = user_data;
    uint64_t n = count_memo(c, address, size);
    if (n == ~(uint64_t)0) {
        c->stopped = 2;
    } else if (c->retired + n > c->limit) {
        c->stopped = 1;
        count(c, address, address + size, c->limit - c->retired, &c->tail_end);
        c->tail_atomic = has_atomic(c, address, c->tail_end);
        c->tail_size = size;
        c->tail_pa = (uint64_t)(uintptr_t)page_host(c, address) - c->ram + c->ram_base + (address & 0xfff);
    } else {
        c->retired += n;
        c->last_pc = address;
        c->last_insns = n;
        c->last_end = address + size;
        return;
    }
    ((int (*)(void *))(uintptr_t)c->emu_stop)(uc);
}

/* The instructions from start up to (not including) end, in the address space of the last run; ~0 if
 * the code cannot be read. */
uint64_t count_between(struct block_counter *c, uint64_t start, uint64_t end) {
    uint64_t stop;
    return count(c, start, end, ~(uint64_t)0, &stop);
}
