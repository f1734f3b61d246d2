/* Local stand-in for Zephyr's <zephyr/dt-bindings/...> size helpers. */
#define DT_SIZE_K(x) ((x) * 1024)
#define DT_SIZE_M(x) (DT_SIZE_K(x) * 1024)
