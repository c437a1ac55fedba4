/* Multiboot (v1) header and 32-bit entry. The loader (QEMU -kernel,
 * kexec-tools --type multiboot-x86, GRUB) jumps here in protected mode,
 * paging off, EAX = 0x2BADB002, EBX = the multiboot information. */
	.set MB_MAGIC, 0x1BADB002
	.set MB_FLAGS, 0x00000003 /* modules page-aligned, memory info wanted */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .bss
	.align 16
stack_bottom:
	.skip 16384
stack_top:

	.section .text
	.globl _start
	.type _start, @function
_start:
	cli
	mov $stack_top, %esp
	push %ebx /* info */
	push %eax /* magic */
	call unikernel_main
1:	cli
	hlt
	jmp 1b
	.size _start, . - _start

	.section .note.GNU-stack, "", @progbits
