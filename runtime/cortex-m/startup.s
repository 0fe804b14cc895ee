@===- startup.s - Minimal Cortex-M startup for QEMU test images ----------===@
@
@ Part of Sieve's test runtime (not linked into compiled models). Vector table
@ at 0x0 (QEMU reads the initial SP and PC from it); enables the FPU and, on
@ v8.1-M, MVE (CPACR CP10/CP11); zeroes .bss; calls main(); exits through
@ semihosting with main's return value. Any fault exits with 128 + the
@ exception number (HardFault: 131), so a crash never hangs a test.
@
@===----------------------------------------------------------------------===@
    .syntax unified
    .thumb
    .section .vectors, "a"
    .global __vectors
__vectors:
    .word __stack_top
    .word Reset_Handler
    .rept 14                      @ NMI, HardFault, MemManage, BusFault, UsageFault, ...
    .word Fault_Handler
    .endr

    .text
    .thumb_func
    .global Reset_Handler
Reset_Handler:
    ldr  r0, =0xE000ED88          @ CPACR
    ldr  r1, [r0]
    orr  r1, r1, #(0xF << 20)     @ full access to CP10 and CP11 (FPU, MVE)
    str  r1, [r0]
    dsb
    isb
    ldr  r0, =__bss_start
    ldr  r1, =__bss_end
    movs r2, #0
1:  cmp  r0, r1
    itt  lo
    strlo r2, [r0], #4
    blo  1b
    bl   main
    bl   sieve_exit               @ r0 = main's return value
    b    .

    .thumb_func
Fault_Handler:
    mrs  r0, ipsr
    orr  r0, r0, #0x80            @ exit status 128 + exception number
    bl   sieve_exit
    b    .
