/* ledger__cbv_words.h -- the word lists of the CBV 2.0 vocabularies and the
 * GS1 sensor vocabularies (bare words, sorted in strcmp order: both users
 * search them by bisection). One source for ledger_cbv.c (checking values)
 * and ledger_evctx.c (the context model of the event hash); only those two
 * files include it. From the EPCIS 2.0 JSON Schema, matching CBV.ttl. */
#ifndef LEDGER__CBV_WORDS_H
#define LEDGER__CBV_WORDS_H

/* clang-format off */
static const char *const bizstep_words[] __attribute__((unused)) = {"accepting", "arriving", "assembling", "collecting",
    "commissioning", "consigning", "creating_class_instance", "cycle_counting", "decommissioning",
    "departing", "destroying", "disassembling", "dispensing", "encoding", "entering_exiting",
    "holding", "inspecting", "installing", "killing", "loading", "other", "packing", "picking",
    "receiving", "removing", "repackaging", "repairing", "replacing", "reserving",
    "retail_selling", "sampling", "sensor_reporting", "shipping", "staging_outbound",
    "stock_taking", "stocking", "storing", "transporting", "unloading", "unpacking",
    "void_shipping"};
static const char *const disp_words[] __attribute__((unused)) = {"active", "available", "completeness_inferred",
    "completeness_verified", "conformant", "container_closed", "container_open", "damaged",
    "destroyed", "dispensed", "disposed", "encoded", "expired", "in_progress", "in_transit",
    "inactive", "mismatch_class", "mismatch_instance", "mismatch_quantity", "needs_replacement",
    "no_pedigree_match", "non_conformant", "non_sellable_other", "partially_dispensed",
    "recalled", "reserved", "retail_sold", "returned", "sellable_accessible",
    "sellable_not_accessible", "stolen", "unavailable", "unknown"};
static const char *const btt_words[] __attribute__((unused)) = {"bol", "cert", "desadv", "inv", "pedigree", "po", "poc",
    "prodorder", "recadv", "rma", "testprd", "testres", "upevt"};
static const char *const sdt_words[] __attribute__((unused)) = {"location", "owning_party", "possessing_party"};
static const char *const er_words[] __attribute__((unused)) = {"did_not_occur", "incorrect_data"};
static const char *const comp_words[] __attribute__((unused)) = {"altitude", "axial_distance", "azimuth", "easting",
    "elevation_angle", "height", "latitude", "longitude", "northing", "polar_angle",
    "spherical_radius", "x", "y", "z"};
static const char *const mt_words[] __attribute__((unused)) = {"AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate",
    "Acceleration", "Altitude", "AmountOfSubstance", "AmountOfSubstancePerUnitVolume", "Angle",
    "AngularAcceleration", "AngularMomentum", "AngularVelocity", "Area", "Capacitance",
    "Conductance", "Conductivity", "Count", "Density", "Dimensionless", "DoseEquivalent",
    "DoseEquivalentRate", "DynamicViscosity", "ElectricCharge", "ElectricCurrent",
    "ElectricCurrentDensity", "ElectricFieldStrength", "Energy", "Exposure", "Force", "Frequency",
    "Illuminance", "Inductance", "Irradiance", "KinematicViscosity", "Length", "LinearMomentum",
    "Luminance", "LuminousFlux", "LuminousIntensity", "MagneticFlux", "MagneticFluxDensity",
    "MagneticVectorPotential", "Mass", "MassConcentration", "MassFlowRate", "MassPerAreaTime",
    "MemoryCapacity", "MolalityOfSolute", "MolarEnergy", "MolarMass", "MolarVolume", "Power",
    "Pressure", "RadiantFlux", "RadiantIntensity", "Radioactivity", "RelativeHumidity",
    "Resistance", "Resistivity", "SolidAngle", "SpecificVolume", "Speed", "SurfaceDensity",
    "SurfaceTension", "Temperature", "Time", "Torque", "Voltage", "Volume", "VolumeFlowRate",
    "VolumeFraction", "VolumetricFlux", "Wavenumber"};
static const char *const alert_words[] __attribute__((unused)) = {"ALARM_CONDITION", "ERROR_CONDITION"};
/* clang-format on */

#endif
