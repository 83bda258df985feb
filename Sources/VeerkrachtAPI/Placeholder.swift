public enum VeerkrachtAPIPlaceholder {}
