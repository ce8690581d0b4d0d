/// The sections a draft pipeline copies from `Pipelines/referral-equity.yaml`, word for
/// word (a test compares them): the lookups after `reference_dir` with the `population`
/// section after them, and everything from `disclosure:` on (disclosure control, models,
/// quality gates, validate tolerances).
enum DefaultPipelineText {
    /// `enrich:` after its `reference_dir` line, and the `population:` and
    /// `organisations:` sections that follow it (the same reference folder holds their files).
    static let enrichLookups = """
          deprivation:
            England: {file: imd2019_england_lsoa11.csv.gz, edition: "English Indices of Deprivation 2019 (IMD, LSOA 2011)", local_authority_columns: [lad19_code, lad19_name]}
            Wales: {file: wimd2019_wales_lsoa11.csv.gz, edition: "Welsh Index of Multiple Deprivation 2019 (LSOA 2011)", local_authority_columns: [la_name]}
            Scotland: {file: simd2020v2_scotland_dz11.csv.gz, edition: "Scottish Index of Multiple Deprivation 2020v2 (Data Zone 2011)", local_authority_columns: [la_code, la_name]}
            Northern Ireland: {file: nimdm2017_ni_soa.csv.gz, edition: "Northern Ireland Multiple Deprivation Measure 2017 (SOA)", local_authority_columns: [lgd14_code, lgd14_name]}
          rurality:
            England: {file: ruc2011_ew_lsoa11.csv.gz, edition: "ONS Rural-Urban Classification 2011 (LSOA 2011)"}
            Wales: {file: ruc2011_ew_lsoa11.csv.gz, edition: "ONS Rural-Urban Classification 2011 (LSOA 2011)"}
            Scotland: {file: sgurc2016_scotland_dz11.csv.gz, edition: "Scottish Government Urban Rural Classification 2016 (Data Zone 2011)"}
            Northern Ireland: {file: nisra_urban_rural2015_ni_soa.csv.gz, edition: "NISRA 2015 default urban/rural classification (SOA)"}
          # In order from 0, without gaps, reaching 120 (as many bands as you like, down to one
          # per year: the aggregation key is sized from this list).
          age_bands: ["0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+"]

        # The resident population referral rates are computed against (tables/rates_by_group.csv):
        # the population of the catchment's small areas, summed per nation, deprivation decile
        # and rurality exactly as referrals are grouped (each nation's own deciles).
        #   edition             the label the manifest and the report show
        #   totals              every small area's population (area_code, population), for
        #                       crude rates
        #   single_year_of_age  per nation, optional: population by single year of age (columns
        #                       age_0 ... age_89, age_90plus and total_population), for rates
        #                       directly age-standardised to the 2013 European Standard
        #                       Population and for age-band rates; a file with a row per sex
        #                       names its sex_column and the rows to read. Northern Ireland has
        #                       no small-area ages, so its rates are crude only. Scotland's ages
        #                       are mid-2020, the nearest published to the mid-2019 totals.
        #   catchment           every_area, or the small areas of some local authorities, by
        #                       code or name as the deprivation lookups' local_authority_columns
        #                       hold them:
        #                         catchment: {local_authorities: [E06000001, Denbighshire, S12000036]}
        #   period              optional, {first: 2024-01-01, last: 2024-12-31}: the days the
        #                       rates cover; without it, the first to the last clean referral date
        # A pipeline without this section gets the mid-2019 totals below for every area (crude
        # rates only); `population: none` computes no rates. Files are read from reference_dir.
        population:
          edition: "mid-2019"
          totals: {file: pop_mid2019_uk_small_areas_total.csv.gz, edition: "ONS/NRS/NISRA mid-2019 small-area totals"}
          single_year_of_age:
            England: {file: pop_mid2019_ew_lsoa11_sya.csv.gz, edition: "ONS mid-2019 small-area population estimates (LSOA 2011)"}
            Wales: {file: pop_mid2019_ew_lsoa11_sya.csv.gz, edition: "ONS mid-2019 small-area population estimates (LSOA 2011)"}
            Scotland: {file: pop_mid2020_scotland_dz11_sya_sex.csv.gz, edition: "NRS mid-2020 small-area population estimates (Data Zone 2011)", sex_column: sex, sex: persons}
          catchment: every_area

        # Link worker provision per primary care network, England (tables/pcn_provision.csv and
        # tables/provision_by_deprivation.csv). Optional; files are read from reference_dir.
        #   workforce             social prescribing link worker FTE per PCN per census date
        #   registered_patients   patients registered per PCN per extract (the extract nearest
        #                         each census date, within 31 days; none for the 2020-2022 dates)
        #   practices             GP practice -> PCN with list sizes (the latest extract gives
        #                         membership, and maps an organisation_id that is a practice code)
        #   practice_deprivation  practice IMD 2019 scores (a PCN's score is its practices' mean
        #                         weighted by list size)
        # An organisation_id maps to a PCN when it is a PCN code or a practice code, or when the
        # organisation lookup gives it a PCN as parent; others are counted, never guessed.
        #   lookup                optional, relative to this file: the organisations of
        #                         organisation_id (columns code, name, type, parent_code,
        #                         parent_name, parent_type): tables/organisations.csv and the
        #                         report then give names, and repeat the funnel per parent
        # Without a lookup, an organisation_id is published only when it looks like a code
        # (3 to 12 letters and digits, at least one digit); other ids are pooled as (other).
        organisations:
          provision:
            workforce: {file: pcn_splw_fte_england.csv.gz, edition: "NHS England Primary Care Network Workforce (SPLW FTE, Mar 2020 - Nov 2025)"}
            registered_patients: {file: pcn_registered_patients_england.csv.gz, edition: "NHS England Patients Registered at a GP Practice (PCN, 2025 extracts)"}
            practices: {file: gp_practice_pcn_lookup_england.csv.gz, edition: "NHS England Patients Registered at a GP Practice (practice mapping, 2025 extracts)"}
            practice_deprivation: {file: gp_practice_imd2019_fingertips_england.csv.gz, edition: "OHID Fingertips 93553 GP practice IMD 2019 score"}
        """

    /// From `disclosure:` to the end of the file.
    static let fromDisclosure = """
        disclosure:
          enabled: true
          suppress_up_to: 7   # counts 1-7 are suppressed
          round_to: 5         # other counts are rounded to the nearest 5

        # Regression models (Bu et al. 2024; Wilding et al. 2024, 2025), fitted from the
        # aggregated counts: logistic for binary outcomes, negative binomial (NB2, θ by maximum
        # likelihood) for counts. Standard errors are cluster-robust (CR1) by organisation_id;
        # referrals without one are then left out of the models (as Stata does). Referrals with
        # an unknown covariate are left out unless unknown_levels is "level".
        models:
          cluster: organisation_id
          unknown_levels: exclude
          reference:
            route_type: medical
            age_band: "45-54"
            sex: Female
            ethnicity: White
            imd_quintile: "5"     # least deprived: odds ratios read "more deprived vs least"
            rurality: Urban
            nation: England
          fit:
            - name: route_nonmedical
              outcome: route_nonmedical
              family: logistic
              covariates: [age_band, sex, ethnicity, imd_quintile, rurality, nation]
            - name: any_intervention
              outcome: any_intervention
              family: logistic
              covariates: [route_type, age_band, sex, ethnicity, imd_quintile, rurality, nation]
            - name: contacts
              outcome: contacts
              family: negative_binomial
              covariates: [route_type, age_band, sex, ethnicity, imd_quintile, rurality, nation]
            - name: interventions
              outcome: interventions
              family: negative_binomial
              covariates: [route_type, age_band, sex, ethnicity, imd_quintile, rurality, nation]

        # Quality gates: a run whose figures pass a limit cannot mean anything, so it fails
        # with its own exit status, names the gate, the figure and the limit, and publishes
        # nothing (the previous output stays). The values below are the defaults a pipeline
        # without this section gets. Shares are from 0 to 1; a share equal to its limit
        # passes, so 1 switches a share gate off (0 switches min_clean_rows off).
        #   min_clean_rows         fewest clean referrals (after duplicates are removed)
        #   max_quarantined_share  of the rows read
        #   max_unknown_share      of clean referrals whose value is unknown (empty, a label
        #                          meaning unknown, or unmapped), per field; off by default
        #                          because unknown values are real data (ethnicity not stated)
        #   max_unmapped_share     of clean referrals whose label no list above names, per
        #                          field: over half means this pipeline does not describe
        #                          the export
        # The two per-field gates take one share for every field, or a mapping of fields
        # to shares (fields not named keep the default), over the fields sex, ethnicity,
        # referral_source, referral_reasons, contacted and area_code, e.g.
        #   max_unknown_share: {sex: 0.2, area_code: 0.5}
        # A failed gate is named as written here: min_clean_rows, max_quarantined_share,
        # max_unknown_share.<field>, max_unmapped_share.<field>.
        quality:
          min_clean_rows: 1
          max_quarantined_share: 0.5
          max_unknown_share: 1
          max_unmapped_share: 0.5

        # Display names for the report (optional; without them the report uses plain-English
        # defaults). Per dimension, id -> label: route_type (medical, non_medical, unknown),
        # route (the route ids above) and reason (the reason ids above). A label is 1 to 60
        # characters without control characters, unique within its dimension; an id the
        # pipeline does not have is invalid (exit 78). For example:
        # display_names:
        #   route_type: {medical: "Medical", non_medical: "Non-medical", unknown: "Not recorded"}
        #   route: {primary_care: "Primary care", vcse: "Voluntary and community sector"}
        #   reason: {loneliness_isolation: "Loneliness or isolation"}

        # Statistical process control (tables/spc.csv; optional): which way is better for each
        # monthly measure (referrals, non_medical_share, contacted_share, intervention_share:
        # increase, decrease or neutral; neutral when not set), so that a special cause reads
        # as an improvement or a concern. For example:
        # spc:
        #   improvement_direction: {contacted_share: increase, intervention_share: increase}

        # Case-mix adjustment of the organisation funnels (optional): the groupings whose
        # combinations are the strata of indirect standardisation, by default those below. A
        # grouping the export does not record adjusts nothing; [] means no adjustment.
        # case_mix:
        #   strata: [age_band, sex, imd_quintile, nation]

        # Tolerances for `sprx validate --pipeline` (CI comparisons of output folders):
        # estimates pass when within either bound; counts, labels and flags must be equal.
        validate:
          absolute_tolerance: 1e-9
          relative_tolerance: 1e-6
        """
}
