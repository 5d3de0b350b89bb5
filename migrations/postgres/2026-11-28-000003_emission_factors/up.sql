-- Emission factors, never edited: a new value is a new version of the same (kind, subject).
-- kind: single_use and reusable (subject: a container type id, per container, or a
-- material, per kg), wash (no subject, per container), transport (subject: a vehicle).
CREATE TABLE emission_factors (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    per TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT NOT NULL,
    source TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, subject, version)
);

INSERT INTO emission_factors (id, kind, subject, per, value, unit, source, version, created_at) VALUES
    ('seed-01', 'transport', 'van', 'vehicle_km', 0.2853, 'kg CO2e/vehicle-km', 'Gazole routier 3.17 kg CO2e/l, upstream and combustion (Arrêté du 26 avril 2017, annexe, décret n° 2017-639) x 9 l/100 km, an assumed consumption of a light commercial van; add a version with your fleet''s consumption', 1, '2026-11-28 00:00:00'),
    ('seed-02', 'transport', 'truck', 'vehicle_km', 0.7925, 'kg CO2e/vehicle-km', 'Gazole routier 3.17 kg CO2e/l (Arrêté du 26 avril 2017, annexe) x 25 l/100 km, an assumed consumption of a 12-19 t rigid truck; add a version with your fleet''s consumption', 1, '2026-11-28 00:00:00'),
    ('seed-03', 'transport', 'car', 'vehicle_km', 0.20605, 'kg CO2e/vehicle-km', 'Gazole routier 3.17 kg CO2e/l (Arrêté du 26 avril 2017, annexe) x 6.5 l/100 km, an assumed consumption of a diesel car; add a version with your own', 1, '2026-11-28 00:00:00'),
    ('seed-04', 'transport', 'cargo_bike', 'vehicle_km', 0.00096, 'kg CO2e/vehicle-km', 'Electricity consumed in mainland France 0.048 kg CO2e/kWh (Arrêté du 26 avril 2017, annexe) x 2 kWh/100 km, an assumed consumption of an electric-assist cargo bike', 1, '2026-11-28 00:00:00'),
    ('seed-05', 'transport', 'other', 'vehicle_km', 0.2853, 'kg CO2e/vehicle-km', 'Counted as a light commercial van: gazole routier 3.17 kg CO2e/l (Arrêté du 26 avril 2017, annexe) x 9 l/100 km assumed', 1, '2026-11-28 00:00:00'),
    ('seed-06', 'wash', '', 'container', 0.0072, 'kg CO2e/container', 'Electricity consumed in mainland France 0.048 kg CO2e/kWh (Arrêté du 26 avril 2017, annexe) x 0.15 kWh per container washed, an assumption; add a version from your washer''s measured energy', 1, '2026-11-28 00:00:00'),
    ('seed-07', 'single_use', 'glass', 'kg', 0.83, 'kg CO2e/kg of packaging', 'Container glass with 88% recycled content, 0.83 kg CO2e/kg (Welow analysis published by Le Monde de l''Énergie, 5 December 2023, using Citeo''s recycling rate); replace with the ADEME Base Carbone value in force for your packaging', 1, '2026-11-28 00:00:00'),
    ('seed-08', 'reusable', 'glass', 'kg', 0.83, 'kg CO2e/kg of container', 'Container glass with 88% recycled content, 0.83 kg CO2e/kg (Welow analysis published by Le Monde de l''Énergie, 5 December 2023, using Citeo''s recycling rate); replace with your supplier''s figure', 1, '2026-11-28 00:00:00');
