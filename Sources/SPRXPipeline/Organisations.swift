/// The pipeline's `organisations:` section: an optional lookup of the organisations in
/// `organisation_id` (names, types, parents) and the NHS England files that give link
/// worker provision per primary care network.
public struct OrganisationSettings: Sendable, Hashable {
    /// The organisation lookup (`code, name, type, parent_code, parent_name, parent_type`),
    /// a path relative to the pipeline file; `nil` without one.
    public var lookup: OrganisationLookupSource?
    /// The provision files, read from `reference_dir`; `nil` without them.
    public var provision: ProvisionSettings?

    public init(lookup: OrganisationLookupSource? = nil, provision: ProvisionSettings? = nil) {
        self.lookup = lookup
        self.provision = provision
    }
}

/// Where the organisation lookup is and what the manifest calls it.
public struct OrganisationLookupSource: Sendable, Hashable {
    /// The file's path as resolved (absolute, or relative to the working folder).
    public var path: String
    public var edition: String

    public init(path: String, edition: String) {
        self.path = path
        self.edition = edition
    }
}

/// The four NHS England / OHID files of link worker provision per PCN (England), by file
/// name in `reference_dir` with the edition the manifest shows.
public struct ProvisionSettings: Sendable, Hashable {
    /// Link worker FTE per PCN per census date (`pcn_splw_fte_england.csv.gz`).
    public var workforce: NamedReferenceFile
    /// Registered patients per PCN per extract (`pcn_registered_patients_england.csv.gz`).
    public var registeredPatients: NamedReferenceFile
    /// Practice → PCN with list sizes per extract (`gp_practice_pcn_lookup_england.csv.gz`).
    public var practices: NamedReferenceFile
    /// Practice IMD 2019 scores (`gp_practice_imd2019_fingertips_england.csv.gz`).
    public var practiceDeprivation: NamedReferenceFile

    public init(workforce: NamedReferenceFile, registeredPatients: NamedReferenceFile, practices: NamedReferenceFile, practiceDeprivation: NamedReferenceFile) {
        self.workforce = workforce
        self.registeredPatients = registeredPatients
        self.practices = practices
        self.practiceDeprivation = practiceDeprivation
    }

    /// The four files' names.
    public var files: [String] { [workforce.file, registeredPatients.file, practices.file, practiceDeprivation.file] }
}

/// A reference file named in the pipeline, with its edition.
public struct NamedReferenceFile: Sendable, Hashable {
    public var file: String
    public var edition: String

    public init(file: String, edition: String) {
        self.file = file
        self.edition = edition
    }
}

/// One organisation of the lookup.
public struct OrganisationInfo: Sendable, Hashable {
    /// The code as `organisation_id` holds it (matched trimmed and upper-cased).
    public var code: String
    public var name: String
    /// Free text such as `PCN`, `scheme`, `hub`.
    public var type: String
    /// The parent's code, name and type (a PCN, ICB or health board); empty when none.
    public var parentCode: String
    public var parentName: String
    public var parentType: String

    public init(code: String, name: String, type: String, parentCode: String = "", parentName: String = "", parentType: String = "") {
        self.code = code
        self.name = name
        self.type = type
        self.parentCode = parentCode
        self.parentName = parentName
        self.parentType = parentType
    }
}

/// The organisation lookup as loaded: organisations by normalised code.
public struct OrganisationDirectory: Sendable {
    /// By code trimmed of spaces and upper-cased (as ``ShortCode`` normalises `organisation_id`).
    public var organisations: [String: OrganisationInfo]
    public var edition: String

    public init(organisations: [String: OrganisationInfo], edition: String) {
        self.organisations = organisations
        self.edition = edition
    }

    /// The organisation of an `organisation_id` (as ``ShortCode/description`` gives it).
    public func info(_ code: String) -> OrganisationInfo? { organisations[code] }
}
