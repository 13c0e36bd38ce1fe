"""catalog: the MSP's vCIO packages, priced and scheduled."""
