/*
 * zephyr-ota sample application.
 *
 * Logs its version twice -- as built (VERSION file, app_version.h) and as
 * MCUboot sees it (the version field of the image header that zephyr-ota
 * wrote) -- and confirms itself after a good boot, so that MCUboot keeps
 * an image that was swapped in for test instead of reverting it at the next
 * reset. An image that is already confirmed is left alone: every confirm
 * writes to the image trailer in flash.
 *
 * SPDX-License-Identifier: Apache-2.0
 */

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/dfu/mcuboot.h>
#include <zephyr/storage/flash_map.h>
#include <app_version.h>

LOG_MODULE_REGISTER(ota_sample, LOG_LEVEL_INF);

/* In the swap modes the running image is always in the primary slot. */
#define RUNNING_SLOT FIXED_PARTITION_ID(slot0_partition)

/* Where a real product checks that it works (sensors answer, the cloud is
 * reachable) before it accepts the update. */
static bool self_test_passed(void)
{
	return true;
}

static void log_versions(void)
{
	struct mcuboot_img_header header;
	int rc;

	LOG_INF("zephyr-ota sample %s", APP_VERSION_EXTENDED_STRING);

	rc = boot_read_bank_header(RUNNING_SLOT, &header, sizeof(header));
	if (rc != 0) {
		LOG_WRN("cannot read the image header: %d", rc);
		return;
	}
	LOG_INF("MCUboot image header: version %u.%u.%u+%u, %u bytes",
		header.h.v1.sem_ver.major, header.h.v1.sem_ver.minor,
		header.h.v1.sem_ver.revision, header.h.v1.sem_ver.build_num,
		header.h.v1.image_size);
}

static void confirm_if_needed(void)
{
	int rc;

	if (boot_is_img_confirmed()) {
		LOG_INF("image already confirmed");
		return;
	}
	if (!self_test_passed()) {
		LOG_WRN("self test failed: not confirming; MCUboot reverts at the next reset");
		return;
	}
	rc = boot_write_img_confirmed();
	if (rc != 0) {
		LOG_ERR("boot_write_img_confirmed failed: %d", rc);
		return;
	}
	LOG_INF("image confirmed");
}

int main(void)
{
	log_versions();
	confirm_if_needed();
	return 0;
}
